CREATE TABLE `grade_windows` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`seq` integer NOT NULL,
	`opened_at` text NOT NULL,
	`closed_at` text NOT NULL,
	`graded_at` text,
	`members` text NOT NULL,
	`quarantined` integer NOT NULL,
	`min_graded` integer NOT NULL,
	`trace_count` integer,
	`graded_count` integer,
	`pass_count` integer,
	`pass_rate` real,
	`insufficient` integer,
	`rollup` text
);
--> statement-breakpoint
CREATE INDEX `grade_windows_agent_closed` ON `grade_windows` (`project_id`,`agent`,`closed_at`);--> statement-breakpoint
CREATE TABLE `grader_versions` (
	`grader_id` text NOT NULL,
	`version` integer NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`grader_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `graders` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`name` text NOT NULL,
	`current_version` integer NOT NULL,
	`enabled` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `graders_project_agent` ON `graders` (`project_id`,`agent`);--> statement-breakpoint
CREATE TABLE `scores` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`window_id` text NOT NULL,
	`trace_id` text,
	`grader_id` text NOT NULL,
	`grader_version` integer NOT NULL,
	`verdict` text NOT NULL,
	`score` real,
	`reason` text NOT NULL,
	`graded_at` text NOT NULL,
	`superseded_by` text
);
--> statement-breakpoint
CREATE INDEX `scores_trace` ON `scores` (`project_id`,`trace_id`);--> statement-breakpoint
CREATE INDEX `scores_window` ON `scores` (`window_id`);--> statement-breakpoint
CREATE INDEX `scores_agent_grader_time` ON `scores` (`project_id`,`agent`,`grader_id`,`grader_version`,`graded_at`);
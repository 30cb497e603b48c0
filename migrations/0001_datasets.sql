CREATE TABLE `dataset_applied_changes` (
	`dataset_id` text NOT NULL,
	`change_key` text NOT NULL,
	`applied_at` text NOT NULL,
	PRIMARY KEY(`dataset_id`, `change_key`)
);
--> statement-breakpoint
CREATE TABLE `dataset_case_stats` (
	`dataset_id` text NOT NULL,
	`fingerprint` text NOT NULL,
	`occurrences` integer NOT NULL,
	`first_seen_at` text NOT NULL,
	`last_trace_id` text NOT NULL,
	`last_seen_at` text NOT NULL,
	PRIMARY KEY(`dataset_id`, `fingerprint`)
);
--> statement-breakpoint
CREATE TABLE `dataset_cases` (
	`dataset_id` text NOT NULL,
	`case_id` text NOT NULL,
	`revision` integer NOT NULL,
	`valid_from_version` integer NOT NULL,
	`valid_to_version` integer,
	`fingerprint` text NOT NULL,
	`input` text NOT NULL,
	`expected` text,
	`failure` text,
	`tags` text NOT NULL,
	`source_trace_id` text,
	`guard` integer NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`dataset_id`, `case_id`, `revision`)
);
--> statement-breakpoint
CREATE INDEX `dataset_cases_valid_from` ON `dataset_cases` (`dataset_id`,`valid_from_version`);--> statement-breakpoint
CREATE INDEX `dataset_cases_valid_to` ON `dataset_cases` (`dataset_id`,`valid_to_version`);--> statement-breakpoint
CREATE UNIQUE INDEX `dataset_cases_live_fingerprint` ON `dataset_cases` (`dataset_id`,`fingerprint`) WHERE valid_to_version IS NULL;--> statement-breakpoint
CREATE TABLE `dataset_versions` (
	`dataset_id` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`change_kind` text NOT NULL,
	`summary` text,
	`case_count` integer NOT NULL,
	`added_count` integer NOT NULL,
	`changed_count` integer NOT NULL,
	`removed_count` integer NOT NULL,
	PRIMARY KEY(`dataset_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `datasets` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`latest_version` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `datasets_project_agent` ON `datasets` (`project_id`,`agent`);--> statement-breakpoint
CREATE UNIQUE INDEX `datasets_regression_per_agent` ON `datasets` (`project_id`,`agent`) WHERE kind = 'regression';
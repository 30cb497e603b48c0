-- LLM judges and human review: judge call results, the judge cache and daily token
-- usage, the review queue with human verdicts, final verdicts per trace, per-agent
-- review settings and grader links. Mirrors worker/storage/schema/review.ts.
CREATE TABLE `judge_results` (
	`score_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`window_id` text NOT NULL,
	`trace_id` text NOT NULL,
	`grader_id` text NOT NULL,
	`grader_version` integer NOT NULL,
	`model` text NOT NULL,
	`prompt_version` text NOT NULL,
	`samples` text NOT NULL,
	`unstable` integer NOT NULL,
	`truncated` text NOT NULL,
	`calls` integer NOT NULL,
	`cached_calls` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost` real,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `judge_results_window` ON `judge_results` (`window_id`);--> statement-breakpoint
CREATE INDEX `judge_results_trace` ON `judge_results` (`project_id`,`trace_id`);--> statement-breakpoint
CREATE TABLE `judge_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`text` text NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `judge_usage` (
	`project_id` text NOT NULL,
	`day` text NOT NULL,
	`tokens` integer NOT NULL,
	PRIMARY KEY(`project_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `review_items` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`trace_id` text NOT NULL,
	`reason` text NOT NULL,
	`detail` text NOT NULL,
	`state` text NOT NULL,
	`created_at` text NOT NULL,
	`reviewed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `review_items_trace_reason` ON `review_items` (`project_id`,`trace_id`,`reason`);--> statement-breakpoint
CREATE INDEX `review_items_queue` ON `review_items` (`project_id`,`state`,`agent`,`created_at`);--> statement-breakpoint
CREATE TABLE `human_verdicts` (
	`item_id` text NOT NULL,
	`reviewer` text NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`trace_id` text NOT NULL,
	`verdict` text NOT NULL,
	`score` real,
	`note` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`item_id`, `reviewer`)
);
--> statement-breakpoint
CREATE INDEX `human_verdicts_trace` ON `human_verdicts` (`project_id`,`trace_id`);--> statement-breakpoint
CREATE TABLE `trace_verdicts` (
	`project_id` text NOT NULL,
	`trace_id` text NOT NULL,
	`agent` text NOT NULL,
	`window_id` text NOT NULL,
	`verdict` text NOT NULL,
	`disputed` integer NOT NULL,
	`decision` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`project_id`, `trace_id`)
);
--> statement-breakpoint
CREATE INDEX `trace_verdicts_window` ON `trace_verdicts` (`window_id`);--> statement-breakpoint
CREATE TABLE `review_settings` (
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`settings` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`project_id`, `agent`)
);
--> statement-breakpoint
CREATE TABLE `grader_links` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`grader_a` text NOT NULL,
	`grader_b` text NOT NULL,
	`criterion` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `grader_links_pair` ON `grader_links` (`project_id`,`grader_a`,`grader_b`);

-- Eval runs and fix suggestions (worker/storage/schema/eval-runs.ts). Hand-written to
-- match the drizzle schema; per-(case, repeat) results live in each run's EvalRun object.
CREATE TABLE `eval_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`dataset_id` text NOT NULL,
	`dataset_version` integer NOT NULL,
	`candidate` text NOT NULL,
	`mode` text NOT NULL,
	`graders` text NOT NULL,
	`repeats` integer NOT NULL,
	`baseline_run_id` text,
	`idempotency_key` text,
	`status` text NOT NULL,
	`case_count` integer NOT NULL,
	`created_at` text NOT NULL,
	`finished_at` text,
	`accepted_at` text,
	`improvement_rate` real,
	`regression_count` integer,
	`flaky_count` integer,
	`error_count` integer,
	`pass_rate` real,
	`summary` text
);
--> statement-breakpoint
CREATE INDEX `eval_runs_agent_created` ON `eval_runs` (`project_id`,`agent`,`created_at`);
--> statement-breakpoint
CREATE INDEX `eval_runs_accepted` ON `eval_runs` (`project_id`,`agent`,`dataset_id`,`dataset_version`,`accepted_at`);
--> statement-breakpoint
CREATE UNIQUE INDEX `eval_runs_idempotency` ON `eval_runs` (`project_id`,`idempotency_key`);
--> statement-breakpoint
CREATE TABLE `fix_suggestions` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`mode_key` text NOT NULL,
	`source` text NOT NULL,
	`title` text NOT NULL,
	`detail` text NOT NULL,
	`created_at` text NOT NULL,
	`tried_run_id` text,
	`tried_at` text
);
--> statement-breakpoint
CREATE INDEX `fix_suggestions_agent_mode` ON `fix_suggestions` (`project_id`,`agent`,`mode_key`);

CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_project` ON `api_keys` (`project_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `traces` (
	`project_id` text NOT NULL,
	`id` text NOT NULL,
	`agent` text NOT NULL,
	`version` text,
	`source` text NOT NULL,
	`start_time` text,
	`end_time` text,
	`latency_ms` integer,
	`status` text NOT NULL,
	`span_count` integer NOT NULL,
	`sha256` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`r2_key` text NOT NULL,
	`state` text NOT NULL,
	`received_at` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`project_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `traces_agent_time` ON `traces` (`project_id`,`agent`,`start_time`);--> statement-breakpoint
CREATE INDEX `traces_project_time` ON `traces` (`project_id`,`received_at`);
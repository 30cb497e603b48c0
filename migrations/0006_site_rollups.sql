-- Counters the site's overview reads instead of scanning traces: traces received per
-- agent and UTC day, and traces per agent and state (received, finished, graded,
-- quarantined). Triggers keep them exact on every path that writes the trace index
-- (native insert, OTLP upsert, grading, quarantine), so no writer has to remember them.
-- An insert ignored by ON CONFLICT DO NOTHING fires no trigger, so a retried ingest
-- counts once.
CREATE TABLE `agent_trace_days` (
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`day` text NOT NULL,
	`traces` integer NOT NULL,
	PRIMARY KEY(`project_id`, `agent`, `day`)
);
--> statement-breakpoint
CREATE INDEX `agent_trace_days_project_day` ON `agent_trace_days` (`project_id`,`day`);--> statement-breakpoint
CREATE TABLE `agent_trace_states` (
	`project_id` text NOT NULL,
	`agent` text NOT NULL,
	`state` text NOT NULL,
	`traces` integer NOT NULL,
	PRIMARY KEY(`project_id`, `agent`, `state`)
);
--> statement-breakpoint
INSERT INTO `agent_trace_days` (`project_id`, `agent`, `day`, `traces`)
	SELECT `project_id`, `agent`, substr(`received_at`, 1, 10), count(*) FROM `traces`
	GROUP BY `project_id`, `agent`, substr(`received_at`, 1, 10);
--> statement-breakpoint
INSERT INTO `agent_trace_states` (`project_id`, `agent`, `state`, `traces`)
	SELECT `project_id`, `agent`, `state`, count(*) FROM `traces` GROUP BY `project_id`, `agent`, `state`;
--> statement-breakpoint
CREATE TRIGGER `traces_count_insert` AFTER INSERT ON `traces` BEGIN
	INSERT INTO `agent_trace_days` (`project_id`, `agent`, `day`, `traces`)
		VALUES (NEW.`project_id`, NEW.`agent`, substr(NEW.`received_at`, 1, 10), 1)
		ON CONFLICT (`project_id`, `agent`, `day`) DO UPDATE SET `traces` = `traces` + 1;
	INSERT INTO `agent_trace_states` (`project_id`, `agent`, `state`, `traces`)
		VALUES (NEW.`project_id`, NEW.`agent`, NEW.`state`, 1)
		ON CONFLICT (`project_id`, `agent`, `state`) DO UPDATE SET `traces` = `traces` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `traces_count_state` AFTER UPDATE OF `state`, `agent` ON `traces`
	WHEN OLD.`state` IS NOT NEW.`state` OR OLD.`agent` IS NOT NEW.`agent` BEGIN
	UPDATE `agent_trace_states` SET `traces` = `traces` - 1
		WHERE `project_id` = OLD.`project_id` AND `agent` = OLD.`agent` AND `state` = OLD.`state`;
	INSERT INTO `agent_trace_states` (`project_id`, `agent`, `state`, `traces`)
		VALUES (NEW.`project_id`, NEW.`agent`, NEW.`state`, 1)
		ON CONFLICT (`project_id`, `agent`, `state`) DO UPDATE SET `traces` = `traces` + 1;
END;

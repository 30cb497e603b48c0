-- The latest failing occurrence of a case's input (its trace, output and every failing
-- grader), kept beside the occurrence counts: unversioned, so a repeated failure updates
-- it without making a dataset version.
ALTER TABLE `dataset_case_stats` ADD `last_failure` text;

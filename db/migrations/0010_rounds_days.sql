-- Each member's rounds weekdays within the team (ISO 1 Monday … 7 Sunday): a part-time nurse makes
-- rounds on Mondays and Tuesdays only. Working days still come from the holiday calendar; a make-up
-- workday counts as the weekday whose timetable it keeps.
ALTER TABLE care_team_member ADD COLUMN rounds_weekdays smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',
    ADD CONSTRAINT care_team_member_rounds_weekdays_check CHECK (rounds_weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]);

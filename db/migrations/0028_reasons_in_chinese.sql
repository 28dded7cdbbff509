-- The follow-up and the grid workers' notice a discharge writes are read by the team and the grid
-- worker, in Chinese like every other reason (the readings' are written by VisitRules.classify).
CREATE OR REPLACE FUNCTION gridcare_referral_discharged(p_referral bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s referral%ROWTYPE;
BEGIN
    SELECT * INTO s FROM referral WHERE id = p_referral AND status = 'discharged_down';
    IF NOT FOUND THEN RAISE EXCEPTION 'referral % is not discharged', p_referral USING ERRCODE = '22023'; END IF;
    INSERT INTO follow_up (district_id, resident_id, micro_grid_id, reason, rule, due_by, referral_id)
    VALUES (s.district_id, s.resident_id, s.micro_grid_id, '出院回转后随访（转诊单 ' || s.number || '）',
            'referral_discharge', s.follow_up_by, s.id)
    ON CONFLICT (referral_id) WHERE referral_id IS NOT NULL DO NOTHING;
    INSERT INTO alert (district_id, resident_id, micro_grid_id, referral_id, team_id, reason, suggests_green_channel)
    SELECT s.district_id, s.resident_id, s.micro_grid_id, s.id, s.team_id,
           '已出院回家（转诊单 ' || s.number || '），请于 ' || s.follow_up_by || ' 前随访', false
    ON CONFLICT (referral_id) WHERE referral_id IS NOT NULL DO NOTHING;
END
$$;

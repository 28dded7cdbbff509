-- Notifications (issue 18): the event's transaction writes who must be told, so a rolled-back change
-- tells nobody and a committed one is never lost. `notification` is the outbox and each user's inbox;
-- the service's delivery worker turns a notification into one delivery per channel and sends them.
-- The triggers below are the one owner of "which event tells whom": every door (API, console, CLI)
-- passes through them.

CREATE TABLE notification (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    district_id           bigint,
    kind                  text NOT NULL,
    -- The event, for "once per recipient": a retried or repeated trigger adds nothing.
    event_key             text NOT NULL,
    urgent                boolean NOT NULL DEFAULT false,
    -- A user of the service (inbox, WeCom, webhook), or a resident (an SMS to their phone).
    recipient_user_id     bigint REFERENCES app_user (id),
    recipient_resident_id bigint REFERENCES resident (id),
    -- Whom it is about, and where the console shows it.
    resident_id           bigint,
    title                 text NOT NULL,
    body                  text NOT NULL,
    link                  text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    read_at               timestamptz,
    -- When the delivery worker made its deliveries.
    dispatched_at         timestamptz,
    CONSTRAINT notification_recipient_check CHECK ((recipient_user_id IS NULL) <> (recipient_resident_id IS NULL)),
    CONSTRAINT notification_text_check CHECK (length(title) BETWEEN 1 AND 200 AND length(body) BETWEEN 1 AND 1000)
);
CREATE UNIQUE INDEX notification_once_idx ON notification (event_key, coalesce(recipient_user_id, 0), coalesce(recipient_resident_id, 0));
CREATE INDEX notification_inbox_idx ON notification (recipient_user_id, id DESC) WHERE recipient_user_id IS NOT NULL;
CREATE INDEX notification_unread_idx ON notification (recipient_user_id) WHERE read_at IS NULL AND recipient_user_id IS NOT NULL;
CREATE INDEX notification_undispatched_idx ON notification (id) WHERE dispatched_at IS NULL;

-- One message on one channel, sent until the receiver says it has it, or given up (dead).
CREATE TABLE notification_delivery (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id  bigint NOT NULL REFERENCES notification (id),
    channel          text NOT NULL CHECK (channel IN ('wecom_robot', 'wecom_app', 'sms', 'webhook')),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    -- Sent with every attempt, so a receiver recognises a retried delivery.
    idempotency_key  uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    attempts         integer NOT NULL DEFAULT 0,
    -- The next try; while an attempt is under way, the end of its lease (a worker that died gives it up).
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- A dead delivery retried by hand starts its age again.
    retried_at       timestamptz,
    delivered_at     timestamptz,
    receipt          text,
    last_error       text,
    CONSTRAINT notification_delivery_once UNIQUE (notification_id, channel),
    CONSTRAINT notification_delivery_delivered_check CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX notification_delivery_due_idx ON notification_delivery (next_attempt_at) WHERE status = 'pending';

CREATE TABLE notification_attempt (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  bigint NOT NULL REFERENCES notification_delivery (id),
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    outcome      text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'refused')),
    http_status  integer,
    detail       text,
    millis       integer NOT NULL
);
CREATE INDEX notification_attempt_delivery_idx ON notification_attempt (delivery_id);

-- A user may turn a channel off for themselves (the inbox stays).
CREATE TABLE notification_mute (
    user_id  bigint NOT NULL REFERENCES app_user (id),
    channel  text NOT NULL CHECK (channel IN ('wecom_robot', 'wecom_app', 'sms', 'webhook')),
    PRIMARY KEY (user_id, channel)
);

-- A user sees their own notifications; the service's jobs (user 0) see all, to deliver them.
ALTER TABLE notification ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_own ON notification USING (
    recipient_user_id::text = (SELECT current_setting('gridcare.user_id', true))
    OR (SELECT current_setting('gridcare.user_id', true)) = '0');
ALTER TABLE notification_delivery ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_delivery_job ON notification_delivery USING ((SELECT current_setting('gridcare.user_id', true)) = '0');
ALTER TABLE notification_attempt ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_attempt_job ON notification_attempt USING ((SELECT current_setting('gridcare.user_id', true)) = '0');
ALTER TABLE notification_mute ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_mute_own ON notification_mute USING (
    user_id::text = (SELECT current_setting('gridcare.user_id', true)) OR (SELECT current_setting('gridcare.user_id', true)) = '0');

-- Who is told. The team's members in `roles`, with a user of their own.
CREATE FUNCTION gridcare_team_users(p_team bigint, p_roles team_role[]) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT u.id), '{}') FROM care_team_member m
    JOIN app_user u ON u.worker_id = m.worker_id AND u.active
    JOIN worker w ON w.id = m.worker_id AND w.active
    WHERE m.team_id = p_team AND m.team_role = ANY (p_roles)
$$;
-- The clinicians of the teams that cover a micro-grid.
CREATE FUNCTION gridcare_grid_team_users(p_micro_grid bigint, p_roles team_role[]) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT u), '{}') FROM care_team_catchment c, unnest(gridcare_team_users(c.team_id, p_roles)) u
    WHERE c.micro_grid_id = p_micro_grid
$$;
-- The hospital's staff on duty: its users.
CREATE FUNCTION gridcare_hospital_users(p_hospital bigint) RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(id), '{}') FROM app_user WHERE hospital_id = p_hospital AND role = 'hospital_staff' AND active
$$;

-- The one writer of a notification row: one per user of `p_users` (each once per event).
CREATE FUNCTION gridcare_notify(p_district bigint, p_kind text, p_event text, p_urgent boolean, p_resident bigint,
                                p_users bigint[], p_title text, p_body text, p_link text)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO notification (district_id, kind, event_key, urgent, recipient_user_id, resident_id, title, body, link)
    SELECT p_district, p_kind, p_event, p_urgent, u, p_resident, p_title, p_body, p_link FROM unnest(p_users) u
    ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION gridcare_resident_name(p_resident bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT name FROM resident WHERE id = p_resident
$$;

-- An urgent reading's alert: the team's clinicians and the resident's micro-grid workers (联系家属). An
-- alert of a discharge home is told by the slip's own notification (referral_discharged_down).
CREATE FUNCTION gridcare_notify_alert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.referral_id IS NOT NULL THEN RETURN NULL; END IF;
    PERFORM gridcare_notify(NEW.district_id, 'urgent_reading', 'alert:' || NEW.id, true, NEW.resident_id,
        gridcare_grid_team_users(NEW.micro_grid_id, '{doctor,nurse,public_health,grid_worker}'),
        '紧急预警：' || gridcare_resident_name(NEW.resident_id),
        NEW.reason || CASE WHEN NEW.suggests_green_channel THEN '。建议经绿色通道转诊，请立即联系家属。' ELSE '。请立即联系家属。' END,
        '/app/r/' || NEW.resident_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER alert_notify AFTER INSERT ON alert FOR EACH ROW EXECUTE FUNCTION gridcare_notify_alert();

-- A flag raised: the team's doctors, to confirm it; confirmed: the worker who raised it.
CREATE FUNCTION gridcare_notify_flag() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'raised' THEN
        PERFORM gridcare_notify(NEW.district_id, 'flag_raised', 'flag:' || NEW.id || ':raised', NEW.tier = 'red', NEW.resident_id,
            gridcare_grid_team_users(NEW.micro_grid_id, '{doctor}'),
            '新的风险标记待确认：' || gridcare_resident_name(NEW.resident_id),
            '网格员提交了一条' || CASE NEW.tier WHEN 'red' THEN '红色' WHEN 'yellow' THEN '黄色' ELSE '绿色' END || '风险标记，请确认或驳回。',
            '/app/r/' || NEW.resident_id);
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'confirmed' AND OLD.status = 'raised' THEN
        PERFORM gridcare_notify(NEW.district_id, 'flag_confirmed', 'flag:' || NEW.id || ':confirmed', false, NEW.resident_id,
            ARRAY[NEW.raised_by], '风险标记已确认：' || gridcare_resident_name(NEW.resident_id),
            '您提交的风险标记已由家庭医生确认，请按等级开展关爱走访。', '/app/r/' || NEW.resident_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER risk_flag_notify AFTER INSERT OR UPDATE OF status ON risk_flag FOR EACH ROW EXECUTE FUNCTION gridcare_notify_flag();

-- A slip sent on the green channel or as urgent: the hospital's staff (the slip's number, no name).
-- Declined or discharged down: the team and the resident's micro-grid workers, to expect them.
CREATE FUNCTION gridcare_notify_referral() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    carers bigint[];
BEGIN
    IF NEW.status = OLD.status THEN RETURN NULL; END IF;
    IF NEW.status = 'sent' AND NEW.urgency IN ('urgent', 'green_channel') THEN
        PERFORM gridcare_notify(NEW.district_id, 'referral_sent', 'referral:' || NEW.id || ':sent', true, NEW.resident_id,
            gridcare_hospital_users(NEW.hospital_id),
            CASE NEW.urgency WHEN 'green_channel' THEN '绿色通道转诊：' ELSE '紧急转诊：' END || NEW.number,
            '转诊单 ' || NEW.number || ' 已发往贵院，请尽快接收。', '/app');
    ELSIF NEW.status IN ('declined', 'discharged_down') THEN
        carers := gridcare_grid_team_users(NEW.micro_grid_id, '{doctor,nurse,public_health,grid_worker}');
        PERFORM gridcare_notify(NEW.district_id, 'referral_' || NEW.status::text, 'referral:' || NEW.id || ':' || NEW.status::text,
            false, NEW.resident_id, carers,
            CASE NEW.status WHEN 'declined' THEN '转诊被退回：' ELSE '出院下转：' END || gridcare_resident_name(NEW.resident_id),
            CASE NEW.status WHEN 'declined' THEN '医院退回了转诊单 ' || NEW.number || '，请查看原因并另行安排。'
                 ELSE '转诊单 ' || NEW.number || ' 的患者已出院下转，请按随访计划在 ' || NEW.follow_up_by::text || ' 前随访。' END,
            '/app/r/' || NEW.resident_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER referral_notify AFTER UPDATE OF status ON referral FOR EACH ROW EXECUTE FUNCTION gridcare_notify_referral();

-- A board request posted: the workers of the resident's micro-grid, who may have what is asked for.
-- A claim reserved or delivered: the one who posted the request.
CREATE FUNCTION gridcare_notify_board() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r board_request%ROWTYPE;
BEGIN
    IF TG_TABLE_NAME = 'board_request' THEN
        PERFORM gridcare_notify(NEW.district_id, 'board_request', 'board_request:' || NEW.id, NEW.urgency = 'urgent', NEW.resident_id,
            gridcare_grid_team_users(NEW.micro_grid_id, '{grid_worker,party_member}'),
            '药箱求助：' || coalesce(NEW.item_name, '物品') || ' × ' || NEW.quantity,
            '本微网格有居民需要' || coalesce(NEW.item_name, '物品') || '（' || NEW.reason || '），有余量的邻里可在共享药箱认领。',
            '/app/board/requests/' || NEW.id);
    ELSIF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status NOT IN ('reserved', 'delivered') THEN RETURN NULL; END IF;
        SELECT * INTO r FROM board_request WHERE id = NEW.request_id;
        PERFORM gridcare_notify(NEW.district_id, 'claim_' || NEW.status::text, 'claim:' || NEW.id || ':' || NEW.status::text, false,
            NEW.resident_id, ARRAY[r.posted_by],
            CASE NEW.status WHEN 'reserved' THEN '药箱求助已有人认领' ELSE '药箱物品已送达' END,
            coalesce(r.item_name, '物品') || ' × ' || NEW.quantity || CASE NEW.status WHEN 'reserved' THEN ' 已预留，等待取件。' ELSE ' 已送达居民。' END,
            '/app/board/requests/' || r.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER board_request_notify AFTER INSERT ON board_request FOR EACH ROW EXECUTE FUNCTION gridcare_notify_board();
CREATE TRIGGER board_claim_notify AFTER INSERT OR UPDATE OF status ON board_claim FOR EACH ROW EXECUTE FUNCTION gridcare_notify_board();

-- A clinic session moved or cancelled: each resident booked on it, by SMS to their phone, and the team.
CREATE FUNCTION gridcare_notify_session() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c clinic%ROWTYPE;
    station text;
    what text;
    body text;
BEGIN
    IF NEW.status NOT IN ('cancelled', 'moved') OR NEW.status = OLD.status THEN RETURN NULL; END IF;
    SELECT * INTO c FROM clinic WHERE id = NEW.clinic_id;
    SELECT name INTO station FROM facility WHERE id = c.station_id;
    what := station || ' ' || to_char(NEW.on_date, 'MM月DD日') || ' ' || to_char(NEW.starts_at, 'HH24:MI') || ' 的门诊';
    body := what || CASE NEW.status WHEN 'cancelled' THEN '已取消' ELSE '已改期' END
        || coalesce('（' || NEW.reason || '）', '')
        || coalesce((SELECT '，改至 ' || to_char(m.on_date, 'MM月DD日') || ' ' || to_char(m.starts_at, 'HH24:MI')
                     FROM clinic_session m WHERE m.id = NEW.moved_to), '') || '。';
    INSERT INTO notification (district_id, kind, event_key, urgent, recipient_resident_id, resident_id, title, body)
    SELECT NEW.district_id, 'session_' || NEW.status::text, 'session:' || NEW.id || ':' || NEW.status::text, false, b.resident_id,
           b.resident_id, '门诊变更', '【家庭医生】您预约的' || body || '如有疑问请联系您的家庭医生团队。'
    FROM booking b JOIN resident r ON r.id = b.resident_id
    WHERE b.session_id = NEW.id AND b.status = 'booked' AND r.phone IS NOT NULL
    ON CONFLICT DO NOTHING;
    PERFORM gridcare_notify(NEW.district_id, 'session_' || NEW.status::text, 'session:' || NEW.id || ':' || NEW.status::text, false, NULL,
        gridcare_team_users(c.team_id, '{doctor,nurse,public_health}'), '门诊变更', body || '已预约的居民已收到短信。', '/app/sessions/' || NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER clinic_session_notify AFTER UPDATE OF status ON clinic_session FOR EACH ROW EXECUTE FUNCTION gridcare_notify_session();

ALTER TABLE notification FORCE ROW LEVEL SECURITY;
ALTER TABLE notification_delivery FORCE ROW LEVEL SECURITY;
ALTER TABLE notification_attempt FORCE ROW LEVEL SECURITY;
ALTER TABLE notification_mute FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE ON notification, notification_delivery, notification_attempt, notification_mute TO gridcare_service;
GRANT DELETE ON notification_mute TO gridcare_service;

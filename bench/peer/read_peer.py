"""The peer a team might write instead: FastAPI + asyncpg doing the same database work as Gridcare's
GET /v1/residents/{id} (the token check, a transaction with the caller's scope, the resident's SELECT and
its audit row), GET /v1/residents (the same for a page of residents, an audit row for each) and POST /v1/flags
(the resident's check, the flag, its history event, the audit row and the flag read back, in one
transaction), with the same row-level security (it signs in as the service's role).
Run by bench/read.sh, bench/list.sh and bench/flag.sh: uvicorn read_peer:app --workers 2 --loop uvloop --http httptools."""
import hashlib
import os

import asyncpg
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import ORJSONResponse
from pydantic import BaseModel

app = FastAPI(default_response_class=ORJSONResponse)
pool: asyncpg.Pool | None = None

READ = """
SELECT id, district_id, household_id, micro_grid_id, name, sex, birth_date, phone, conditions, circumstances, team_id, version
FROM resident_line WHERE id = $1
"""
# The list's page as Gridcare's store asks for it for a caller scoped to micro-grids: each micro-grid's first
# ids (one more than shown), the lowest of them kept, then those rows whole.
LIST = """
WITH page AS (
  SELECT p.id FROM unnest($3::bigint[]) AS g(id), LATERAL (
    SELECT r.id FROM resident r
    WHERE r.micro_grid_id = g.id AND r.id > $1 AND ($2::bigint IS NULL OR r.district_id = $2)
    ORDER BY r.id LIMIT $4) p
  ORDER BY p.id LIMIT $4)
SELECT v.id, v.district_id, v.household_id, v.micro_grid_id, v.name, v.sex, v.birth_date, v.phone, v.conditions,
       v.circumstances, v.team_id, v.version
FROM resident_line v JOIN page ON page.id = v.id ORDER BY v.id
"""


@app.on_event("startup")
async def startup() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["PEER_DATABASE_URL"], min_size=4, max_size=4, server_settings={"role": "gridcare_service"}
    )


async def caller_of(authorization: str):
    token = authorization.removeprefix("Bearer ")
    async with pool.acquire() as conn:
        caller = await conn.fetchrow(
            "SELECT user_id, role, district_id, micro_grid_ids FROM gridcare_authenticate($1)",
            hashlib.sha256(token.encode()).digest(),
        )
    if caller is None:
        raise HTTPException(401)
    return caller


async def set_scope(conn, caller) -> None:
    grids = caller["micro_grid_ids"]
    await conn.execute(
        "SELECT gridcare_set_scope($1, $2, $3, $4, '')",
        str(caller["user_id"]), caller["role"],
        "*" if caller["district_id"] is None else str(caller["district_id"]),
        "*" if grids is None else "{" + ",".join(map(str, grids)) + "}",
    )


def shown(r) -> dict:
    return {
        "id": r["id"], "districtId": r["district_id"], "householdId": r["household_id"],
        "microGridId": r["micro_grid_id"], "name": r["name"], "sex": r["sex"], "birthDate": r["birth_date"],
        "phone": r["phone"], "conditions": r["conditions"], "circumstances": r["circumstances"],
        "teamId": r["team_id"], "version": r["version"],
    }


@app.get("/v1/residents/{resident_id}")
async def get_resident(resident_id: int, authorization: str = Header("")):
    caller = await caller_of(authorization)
    async with pool.acquire() as conn:
        async with conn.transaction():
            await set_scope(conn, caller)
            row = await conn.fetchrow(READ, resident_id)
            if row is None:
                raise HTTPException(404)
            await conn.execute(
                "INSERT INTO audit_event (user_id, role, operation, action, resident_id, outcome)"
                " VALUES ($1, $2, 'getResident', 'read', $3, 'ok')",
                caller["user_id"], caller["role"], resident_id,
            )
    return shown(row)


@app.get("/v1/residents")
async def list_residents(limit: int = 200, cursor: int = 0, authorization: str = Header("")):
    caller = await caller_of(authorization)
    limit = max(1, min(limit, 200))
    async with pool.acquire() as conn:
        async with conn.transaction():
            await set_scope(conn, caller)
            rows = await conn.fetch(LIST, cursor, caller["district_id"], caller["micro_grid_ids"], limit + 1)
            items = rows[:limit]
            await conn.execute(
                "SELECT gridcare_audit($1, $2, $3, 'listResidents', 'search', 'ok', $4, $5)",
                caller["user_id"], caller["role"], caller["district_id"], None if items else "no results",
                [r["id"] for r in items],
            )
    return {"items": [shown(r) for r in items], "nextCursor": str(items[-1]["id"]) if len(rows) > limit else None}


class FlagRaise(BaseModel):
    residentId: int
    category: str
    tier: str
    population: str
    note: str | None = None


RAISE = """
INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, note, raised_by)
SELECT r.district_id, r.id, r.micro_grid_id, $2::flag_category, $3::flag_tier, $4::flag_population, $5, $6
FROM resident r WHERE r.id = $1
ON CONFLICT (resident_id, category) WHERE status <> 'closed' AND status <> 'dismissed' DO NOTHING
RETURNING id
"""
AUDIT = "SELECT gridcare_audit($1, $2, $3, 'raiseFlag', 'create', $4, $5, $6)"


@app.post("/v1/flags", status_code=201)
async def raise_flag(body: FlagRaise, authorization: str = Header("")):
    caller = await caller_of(authorization)
    who = (caller["user_id"], caller["role"], caller["district_id"])
    async with pool.acquire() as conn:
        async with conn.transaction():
            await set_scope(conn, caller)
            if await conn.fetchval("SELECT 1 FROM resident WHERE id = $1", body.residentId) is None:
                await conn.execute(AUDIT, *who, "denied", "flag", [body.residentId])
                refusal = (422, "residentId")
            else:
                note = body.note.strip() if body.note is not None else None
                flag_id = await conn.fetchval(RAISE, body.residentId, body.category, body.tier, body.population, note, who[0])
                if flag_id is None:
                    await conn.execute(AUDIT, *who, "refused", "flag already open", [body.residentId])
                    refusal = (409, "category")
                else:
                    await conn.execute(
                        "INSERT INTO risk_flag_event (flag_id, user_id, action, note) VALUES ($1, $2, 'raised', $3)",
                        flag_id, who[0], note,
                    )
                    await conn.execute(AUDIT, *who, "ok", f"flag {flag_id}", [body.residentId])
                    flag = await conn.fetchrow("SELECT * FROM risk_flag_line WHERE id = $1", flag_id)
                    refusal = None
    if refusal is not None:
        return ORJSONResponse({"status": refusal[0], "field": refusal[1]}, status_code=refusal[0])
    return {
        "id": flag["id"], "residentId": flag["resident_id"], "residentName": flag["resident_name"],
        "microGridId": flag["micro_grid_id"], "category": flag["category"], "tier": flag["tier"],
        "population": flag["population"], "note": flag["note"], "status": flag["status"],
        "raisedBy": flag["raised_by"], "raisedAt": flag["raised_at"].isoformat(), "version": flag["version"],
    }

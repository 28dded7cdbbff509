"""The peer a team might write instead: FastAPI + asyncpg doing the same database work as Gridcare's
GET /v1/residents/{id} (the token check, a transaction with the caller's scope, the resident's SELECT and
its audit row) and GET /v1/residents (the same for a page of residents, an audit row for each), with the
same row-level security (it signs in as the service's role).
Run by bench/read.sh and bench/list.sh: uvicorn read_peer:app --workers 2 --loop uvloop --http httptools."""
import hashlib
import os

import asyncpg
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import ORJSONResponse

app = FastAPI(default_response_class=ORJSONResponse)
pool: asyncpg.Pool | None = None

READ = """
SELECT r.id, r.district_id, r.household_id, r.micro_grid_id, r.name, r.sex::text AS sex,
       to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date, r.phone, r.conditions, r.circumstances,
       c.team_id, r.version
FROM resident r LEFT JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id WHERE r.id = $1
"""
# The list's page as Gridcare's store asks for it: the scope as plain predicates, by id, one more than shown.
LIST = """
SELECT r.id, r.district_id, r.household_id, r.micro_grid_id, r.name, r.sex::text AS sex,
       to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date, r.phone, r.conditions, r.circumstances,
       c.team_id, r.version
FROM resident r LEFT JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
WHERE r.id > $1 AND ($2::bigint IS NULL OR r.district_id = $2) AND ($3::bigint[] IS NULL OR r.micro_grid_id = ANY($3))
ORDER BY r.id LIMIT $4
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

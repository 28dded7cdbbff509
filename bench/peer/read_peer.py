"""The peer a team might write instead: FastAPI + asyncpg doing the same database work as Gridcare's
GET /v1/residents/{id} (the token check, a transaction with the caller's scope, the resident's SELECT and
its audit row), with the same row-level security (it signs in as the service's role).
Run by bench/read.sh: uvicorn bench.peer.read_peer:app --workers 2 --loop uvloop --http httptools."""
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


@app.on_event("startup")
async def startup() -> None:
    global pool
    pool = await asyncpg.create_pool(
        os.environ["PEER_DATABASE_URL"], min_size=4, max_size=4, server_settings={"role": "gridcare_service"}
    )


@app.get("/v1/residents/{resident_id}")
async def get_resident(resident_id: int, authorization: str = Header("")):
    token = authorization.removeprefix("Bearer ")
    async with pool.acquire() as conn:
        caller = await conn.fetchrow(
            "SELECT user_id, role, district_id, micro_grid_ids FROM gridcare_authenticate($1)",
            hashlib.sha256(token.encode()).digest(),
        )
        if caller is None:
            raise HTTPException(401)
    async with pool.acquire() as conn:
        async with conn.transaction():
            grids = caller["micro_grid_ids"]
            await conn.execute(
                "SELECT gridcare_set_scope($1, $2, $3, $4, '')",
                str(caller["user_id"]), caller["role"],
                "*" if caller["district_id"] is None else str(caller["district_id"]),
                "*" if grids is None else "{" + ",".join(map(str, grids)) + "}",
            )
            row = await conn.fetchrow(READ, resident_id)
            if row is None:
                raise HTTPException(404)
            await conn.execute(
                "INSERT INTO audit_event (user_id, role, operation, action, resident_id, outcome)"
                " VALUES ($1, $2, 'getResident', 'read', $3, 'ok')",
                caller["user_id"], caller["role"], resident_id,
            )
    r = dict(row)
    return {
        "id": r["id"], "districtId": r["district_id"], "householdId": r["household_id"],
        "microGridId": r["micro_grid_id"], "name": r["name"], "sex": r["sex"], "birthDate": r["birth_date"],
        "phone": r["phone"], "conditions": r["conditions"], "circumstances": r["circumstances"],
        "teamId": r["team_id"], "version": r["version"],
    }

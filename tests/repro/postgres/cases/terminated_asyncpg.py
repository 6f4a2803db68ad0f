import asyncio
import os

import asyncpg


async def main():
    victim = await asyncpg.connect(os.environ["DATABASE_URL"])
    admin = await asyncpg.connect(os.environ["DATABASE_URL"])

    async def kill_long_query():
        await asyncio.sleep(0.3)
        await admin.execute("SELECT pg_terminate_backend($1)", victim.get_server_pid())

    killer = asyncio.ensure_future(kill_long_query())
    try:
        await victim.fetchval("SELECT pg_sleep(5)")
    finally:
        await killer


asyncio.run(main())

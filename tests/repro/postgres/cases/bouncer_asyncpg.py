import asyncio
import os

import asyncpg


async def main():
    # one of several app processes, all connecting through the same pgbouncer pool
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    print("got", await conn.fetchval("SELECT $1::int", 1))
    await conn.close()


asyncio.run(main())

import asyncio
import os

import asyncpg


async def main():
    conn = await asyncpg.connect(
        os.environ["DATABASE_URL"], server_settings={"statement_timeout": "200"}
    )
    await conn.fetchval("SELECT pg_sleep(2)")


asyncio.run(main())

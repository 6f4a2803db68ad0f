import asyncio
import os

import asyncpg
from relay import Relay


async def main():
    relay = Relay(os.environ["DATABASE_URL"])
    conn = await asyncpg.connect(os.environ["DATABASE_URL"], port=relay.port, ssl=False)
    await conn.fetchval("SELECT 1")
    relay.cut()
    await conn.fetchval("SELECT 1")


asyncio.run(main())

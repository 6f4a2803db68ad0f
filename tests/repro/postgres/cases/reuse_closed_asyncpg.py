import asyncio
import os

import asyncpg


async def main():
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    admin = await asyncpg.connect(os.environ["DATABASE_URL"])
    await admin.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())
    await asyncio.sleep(0.5)  # the app is idle; asyncpg notices the server closed the socket
    await conn.fetchval("SELECT 1")


asyncio.run(main())

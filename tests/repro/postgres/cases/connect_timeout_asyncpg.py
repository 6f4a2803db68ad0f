import asyncio
import os
import socket

import asyncpg

blackhole = socket.create_server(("127.0.0.1", 0))
port = blackhole.getsockname()[1]


async def main():
    conn = await asyncpg.connect(os.environ["DATABASE_URL"], port=port, timeout=1)
    await conn.close()


asyncio.run(main())

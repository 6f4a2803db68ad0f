import asyncio
import os

import asyncpg


async def main():
    connections = []
    for _worker in range(20):
        connections.append(await asyncpg.connect(os.environ["DATABASE_URL"]))


asyncio.run(main())

import asyncio
import os

import redis.asyncio as redis


async def main():
    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    payload = "x" * 100_000
    for i in range(200):
        await r.set(f"cache:page:{i}", payload)


asyncio.run(main())

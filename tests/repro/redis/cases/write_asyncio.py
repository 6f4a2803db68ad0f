import asyncio
import os

import redis.asyncio as redis


async def main():
    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    await r.set("session:42", "data")


asyncio.run(main())

import asyncio
import os

import redis.asyncio as redis


async def main():
    r = redis.Redis.from_url(os.environ["REDIS_URL"], password=os.environ.get("REDIS_PASSWORD"))
    await r.ping()
    await r.aclose()


asyncio.run(main())

import asyncio
import os

import redis.asyncio as redis


async def main():
    admin = redis.Redis.from_url(os.environ["REDIS_URL"])
    await admin.client_pause(2000)
    r = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.5)
    await r.get("session:42")


asyncio.run(main())

import asyncio


class Cache:
    """Created once at import time and reused by every asyncio.run() call."""

    def __init__(self):
        self.ready = None

    async def wait_ready(self):
        if self.ready is None:
            self.ready = asyncio.get_running_loop().create_future()
            self.ready.get_loop().call_later(0.01, self.ready.set_result, True)
        return await self.ready


cache = Cache()


async def job():
    await cache.wait_ready()


asyncio.run(job())
asyncio.run(job())

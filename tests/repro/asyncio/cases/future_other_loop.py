import asyncio


class TokenCache:
    """Created once at import time and shared by every asyncio.run() call."""

    def __init__(self):
        self.pending = None

    async def refresh(self):
        self.pending = asyncio.get_running_loop().create_future()
        await asyncio.sleep(1)
        self.pending.set_result("token")

    async def get_token(self):
        return await self.pending


cache = TokenCache()


async def startup():
    asyncio.create_task(cache.refresh())
    await asyncio.sleep(0)


async def handle_request():
    return await cache.get_token()


asyncio.run(startup())
asyncio.run(handle_request())

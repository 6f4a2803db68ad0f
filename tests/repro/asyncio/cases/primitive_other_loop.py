import asyncio

lock = asyncio.Lock()


async def worker():
    async with lock:
        await asyncio.sleep(0.01)


async def main():
    await asyncio.gather(worker(), worker())


asyncio.run(main())
asyncio.run(main())

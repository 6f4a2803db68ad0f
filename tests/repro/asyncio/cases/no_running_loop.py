import asyncio


async def poll():
    await asyncio.sleep(0)


task = asyncio.create_task(poll())

import asyncio


async def fetch_user(user_id):
    await asyncio.sleep(0)
    return {"id": user_id}


def get_user_sync(user_id):
    return asyncio.run(fetch_user(user_id))


async def handler():
    return get_user_sync(1)


asyncio.run(handler())

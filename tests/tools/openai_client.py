"""Talks to the example gateway with the official OpenAI Python client and
prints what it got, one fact per line, for tests/openai_client.rs to check.

Usage: openai_client.py BASE_URL
"""

import sys

import openai

client = openai.OpenAI(
    base_url=sys.argv[1] + "/v1",
    api_key="not-needed",
    default_headers={"x-tenant-id": "python"},
    max_retries=0,
)
messages = [{"role": "user", "content": "Say four words"}]

reply = client.chat.completions.create(model="openai/gpt-4o-mini", messages=messages, max_tokens=4)
print("content:", reply.choices[0].message.content)
print("finish_reason:", reply.choices[0].finish_reason)
print("usage:", reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens)

stream = client.chat.completions.create(
    model="anthropic/claude-3-5-haiku",
    messages=messages,
    max_tokens=3,
    stream=True,
    stream_options={"include_usage": True},
)
parts, usage, finish = [], None, None
for chunk in stream:
    if chunk.choices:
        parts.append(chunk.choices[0].delta.content or "")
        finish = chunk.choices[0].finish_reason or finish
    if chunk.usage:
        usage = chunk.usage
print("stream content:", "".join(parts))
print("stream finish_reason:", finish)
print("stream usage:", usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)

reply = client.chat.completions.create(
    model="openai/gpt-4o-mini",
    messages=messages,
    max_tokens=2,
    extra_headers={"x-simulate-cached-tokens": "2", "x-simulate-reasoning-tokens": "7"},
)
details = reply.usage.prompt_tokens_details, reply.usage.completion_tokens_details
print("cached:", details[0].cached_tokens, "reasoning:", details[1].reasoning_tokens)

try:
    client.chat.completions.create(model="nobody/model", messages=messages)
except openai.BadRequestError as e:
    print("error:", e.status_code, e.body["message"])

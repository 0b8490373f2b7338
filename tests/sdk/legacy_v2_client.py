"""Run with the legacy SDK 2.x interpreter: `python legacy_v2_client.py PK SK HOST TRACE_ID`.
Creates a trace with a span and a generation, flushes, then updates them in a second batch."""

import sys

from langfuse import Langfuse

public_key, secret_key, host, trace_id = sys.argv[1:5]
langfuse = Langfuse(public_key=public_key, secret_key=secret_key, host=host, flush_interval=0.2)

trace = langfuse.trace(id=trace_id, name="v2-trace", user_id="v2-user", session_id="v2-session",
                       metadata={"a": {"x": 1}}, tags=["one"], input={"q": "hi"})
span = trace.span(id=f"{trace_id}-span", name="retrieval", input="query")
span.end(output={"docs": 2})
generation = trace.generation(id=f"{trace_id}-gen", name="llm", model="gpt-4o",
                              input=[{"role": "user", "content": "hi"}])
generation.end(output="hello", usage={"input": 100, "output": 50})
langfuse.flush()

# Later updates, in another batch: they merge into what is stored.
trace.update(tags=["two"], metadata={"a": {"y": 2}}, output="done")
generation.update(level="WARNING", status_message="slow")
trace.score(name="quality", value=0.5, comment="ok")
langfuse.flush()
langfuse.shutdown()
print("sent")

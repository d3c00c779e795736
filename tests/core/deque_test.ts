/** The FIFO queue under every peer's received messages (core/sockets/deque.ts). */
import assert from "node:assert/strict";
import { Deque } from "../../core/sockets/deque.ts";

Deno.test("deque: FIFO order across wrap-around, growth and a dropped store, against a plain array", () => {
  const queue = new Deque<number>();
  const expected: number[] = [];
  let head = 0;
  let next = 0;
  // Rounds of bursts (growing the ring past several doublings) and drains,
  // with pushes and shifts interleaved so the head wraps; the 10,000 burst
  // drains to empty (its store of 16,384 slots is dropped) and the queue
  // goes on.
  for (
    const [pushes, shifts] of [
      [5, 3],
      [300, 10],
      [4000, 3900],
      [7, 400],
      [10_000, 0],
      [3, 10_010],
      [1, 1],
      [2000, 2100],
    ]
  ) {
    for (let i = 0; i < Math.max(pushes, shifts); i++) {
      if (i < pushes) {
        queue.push(next);
        expected.push(next++);
      }
      if (i < shifts) {
        assert.deepEqual(
          queue.shift(),
          head < expected.length ? expected[head++] : undefined,
        );
      }
      assert.deepEqual(queue.length, expected.length - head);
      assert.deepEqual(queue.peek(), expected[head]);
    }
  }
  assert.deepEqual(queue.length, 0);
  assert.deepEqual(queue.shift(), undefined);
});

Deno.test("deque: clear drops every item and the queue works on after it", () => {
  const queue = new Deque<string>();
  for (let i = 0; i < 100; i++) queue.push(`m${i}`);
  queue.shift();
  queue.clear();
  assert.deepEqual([queue.length, queue.peek(), queue.shift()], [0, undefined, undefined]);
  queue.push("a");
  queue.push("b");
  assert.deepEqual([queue.shift(), queue.shift(), queue.shift()], ["a", "b", undefined]);
});

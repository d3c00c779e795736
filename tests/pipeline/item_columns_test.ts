import assert from "node:assert/strict";
import { FINISHED, INFLIGHT, ItemColumns, NONE, QUEUED } from "../../core/pipeline/item_columns.ts";

Deno.test("item columns: a window that slides, wraps and grows keeps every held item", () => {
  const items = new ItemColumns<string>(4);
  const held = new Map<number, string>();
  let next = 0;
  // Settle the front in order while one straggler (index 2) stays held: the
  // window must grow past it and wrap around its ring as the front moves on.
  for (let round = 0; round < 50; round++) {
    for (let n = 0; n < 3; n++) {
      const index = next++;
      items.add(index, `p${index}`, index % 5 === 0 ? `own-${index}` : undefined);
      held.set(index, `p${index}`);
    }
    for (const index of [...held.keys()].slice(0, 2)) {
      if (index === 2) continue;
      items.release(index);
      held.delete(index);
    }
  }
  assert.equal(items.size, held.size);
  assert.equal(items.low, 2);
  for (let index = 0; index < next; index++) {
    if (!held.has(index)) {
      assert.equal(items.stateOf(index), NONE, `index ${index}`);
      continue;
    }
    assert.equal(items.stateOf(index), QUEUED, `index ${index}`);
    assert.equal(items.payload[items.slotOf(index)], held.get(index));
    assert.equal(items.ownIdOf(index), index % 5 === 0 ? `own-${index}` : undefined);
  }
  items.release(2);
  held.delete(2);
  assert.ok(items.low > 2);
  // A steady window now: the front moves on, the ring wraps many times.
  for (let n = 0; n < 1000; n++) {
    items.add(next, `p${next}`, undefined);
    held.set(next, `p${next}`);
    next++;
    const lowest = Math.min(...held.keys());
    items.release(lowest);
    held.delete(lowest);
  }
  assert.equal(items.size, held.size);
  for (const [index, payload] of held) {
    assert.equal(items.stateOf(index), QUEUED);
    assert.equal(items.payload[items.slotOf(index)], payload);
  }
  assert.equal(items.low, Math.min(...held.keys()));
});

Deno.test("item columns: skipped indexes hold nothing; state and holder stay per item", () => {
  const items = new ItemColumns<string>(2);
  items.add(3, null, undefined);
  items.add(7, null, undefined); // 4–6 resumed as done: never held
  for (const index of [4, 5, 6]) assert.equal(items.stateOf(index), NONE);
  const at = items.slotOf(7);
  items.state[at] = INFLIGHT;
  items.holder[at] = "w";
  items.state[items.slotOf(3)] = FINISHED;
  assert.equal(items.stateOf(3), FINISHED);
  assert.equal(items.holder[items.slotOf(7)], "w");
  assert.throws(() => items.add(5, null, undefined), RangeError);
  items.release(3);
  assert.equal(items.low, 7);
  items.release(7);
  assert.equal(items.size, 0);
  items.add(100, "fresh", undefined); // an empty window starts over
  assert.equal(items.low, 100);
  assert.equal(items.stateOf(100), QUEUED);
});

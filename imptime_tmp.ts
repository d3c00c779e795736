const t0 = performance.now();
const mods = Deno.args;
for (const m of mods) {
  const s = performance.now();
  await import(m);
  console.log(`${(performance.now() - s).toFixed(0)} ms  ${m}`);
}
console.log(`total ${(performance.now() - t0).toFixed(0)} ms`);

// Times one ONNX model in ONNX Runtime (onnxruntime-node, CPU execution
// provider) at batch 1: all graph optimisations, sequential execution,
// intra-op threads T. Warm-up runs, then at least N runs and MIN_TIME
// seconds; prints `ort: <median> ms (p10 P, p90 Q, n=N; threads T, ort V)`.
//
//   node tools/ort/ort_time.js MODEL.onnx CHANNELS THREADS [MIN_TIME_S=1]
// (input [1, CHANNELS, 32, 32])
"use strict";
const ort = require("onnxruntime-node");

async function main() {
  const [file, channelsArg, threadsArg, minTimeArg] = process.argv.slice(2);
  const channels = parseInt(channelsArg || "3", 10);
  const threads = parseInt(threadsArg || "1", 10);
  const minTime = parseFloat(minTimeArg || "1");
  if (!file || !(channels >= 1) || !(threads >= 1)) {
    console.error("usage: node ort_time.js MODEL.onnx CHANNELS THREADS [MIN_TIME_S]");
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const data = Float32Array.from({ length: channels * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, [1, channels, 32, 32]) };
  for (let i = 0; i < 20; i++) await session.run(feeds);
  const times = [];
  const start = process.hrtime.bigint();
  while (times.length < 20 || Number(process.hrtime.bigint() - start) / 1e9 < minTime) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  const version = require("onnxruntime-node/package.json").version;
  console.log(`ort: ${q(0.5).toFixed(3)} ms (p10 ${q(0.1).toFixed(3)}, p90 ${q(0.9).toFixed(3)}, ` +
              `n=${times.length}; threads ${threads}, ort ${version})`);
}
main().catch((e) => { console.error(`ort_time: ${e.message}`); process.exit(1); });

# The modules of stackplan, lowest first: "name|folder". A module may include
# and call only the modules before it in this list (docs/architecture.md).
# Both the library targets (CMakeLists.txt) and the include check
# (check_layers.cmake) read this one list.
set(SP_MODULES
  "core|engine/core"
  "graph|engine/graph"
  "compress|engine/compress"
  "onnx|engine/onnx"
  "data|engine/data"
  "opencl|engine/opencl"
  "kernels|kernels"
  "executor|engine/executor"
  "profiler|profiler"
  "accuracy|accuracy"
  "search|search"
  "planner|planner"
  "results|results"
  "cli|cli")

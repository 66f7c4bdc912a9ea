# Rejects an include that runs against the module order of modules.cmake: a
# file of module M may include "X/..." only where X is M's own folder or a
# module before M (or a header outside every module, such as a generated one).
#   cmake -DROOT=<source tree> [-DSTAMP=<file to touch on success>] -P check_layers.cmake
# Fails with one line per wrong-way include: "file:line: includes ..., above <module>".
include(${CMAKE_CURRENT_LIST_DIR}/modules.cmake)
if(NOT ROOT)
  message(FATAL_ERROR "check_layers.cmake: pass -DROOT=<source tree>")
endif()
set(folders "")
foreach(entry ${SP_MODULES})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 1 folder)
  list(APPEND folders ${folder})
endforeach()

# The module folder a path lies in (the longest folder prefix), or "".
function(module_of path out)
  set(best "")
  foreach(folder ${folders})
    string(LENGTH "${folder}" len)
    string(LENGTH "${best}" best_len)
    if(path MATCHES "^${folder}/" AND len GREATER best_len)
      set(best ${folder})
    endif()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(errors "")
foreach(folder ${folders})
  list(FIND folders ${folder} rank)
  file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/${folder}/*.c ${ROOT}/${folder}/*.h
       ${ROOT}/${folder}/*.inc)
  foreach(file ${files})
    module_of(${file} own)
    if(NOT own STREQUAL folder) # a deeper module's file: checked with that module
      continue()
    endif()
    file(STRINGS ${ROOT}/${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]+\"")
    foreach(line ${lines})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]+\"([^\"]+)\".*" "\\1" target "${line}")
      module_of(${target} used)
      if(used STREQUAL "")
        if(NOT target MATCHES "/" OR target MATCHES "^\\.")
          continue() # generated headers (onnx.pb-c.h) and system-like names
        endif()
        string(APPEND errors "${file}: includes \"${target}\", which is in no module\n")
        continue()
      endif()
      list(FIND folders ${used} used_rank)
      if(used_rank GREATER rank)
        string(APPEND errors "${file}: includes \"${target}\" of ${used}, above ${folder} in the module order (cmake/modules.cmake)\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(errors)
  message(NOTICE "${errors}") # as they are: FATAL_ERROR would wrap the lines
  message(FATAL_ERROR "wrong-way includes: see the lines above")
endif()
if(STAMP)
  file(TOUCH ${STAMP})
endif()

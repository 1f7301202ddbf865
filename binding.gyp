{
  "targets": [
    {
      "target_name": "gatehouse",
      "sources": [
        "native/src/addon/addon.cpp",
        "native/src/addon/tasks.cpp",
        "native/src/addon/strings.cpp",
        "native/src/task/grammar.cpp",
        "native/src/task/messages.cpp",
        "native/src/task/session_line.cpp",
        "native/src/task/help.cpp",
        "native/src/task/actions.cpp",
        "native/src/task/listing.cpp",
        "native/src/task/executor.cpp",
        "native/src/task/c_api.cpp",
        "native/src/table/sys.cpp",
        "native/src/table/segment.cpp",
        "native/src/table/slots.cpp",
        "native/src/table/index.cpp",
        "native/src/table/users.cpp",
        "native/src/table/codec.cpp",
        "native/src/table/sessions.cpp",
        "native/src/table/user_ops.cpp",
        "native/src/table/maintenance.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/include", "native/src/table"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-fvisibility=hidden", "-O2"],
      "libraries": ["-lrt", "-lpthread"]
    }
  ]
}

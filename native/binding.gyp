{
  "targets": [
    {
      "target_name": "kofn_bn",
      "sources": ["src/kofn_bn.c", "src/multi_pow.c", "src/public_inverse.c", "src/sched_batch.c"],
      "libraries": ["-lgmp"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-fvisibility=hidden", "-D_POSIX_C_SOURCE=200809L"],
      "cflags!": ["-fno-exceptions"]
    },
    {
      "target_name": "kofn-pkcs11",
      "type": "shared_library",
      "product_prefix": "lib",
      "product_name": "kofn-pkcs11",
      "product_extension": "so",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": [
        "src/pkcs11/shim.c",
        "src/pkcs11/marshal.c",
        "src/pkcs11/transport.c",
        "src/pkcs11/calls.gen.c"
      ],
      "include_dirs": ["include", "src/pkcs11"],
      "include_dirs!": [
        "<(node_root_dir)/include/node", "<(node_root_dir)/src", "<(node_root_dir)/deps/openssl/config",
        "<(node_root_dir)/deps/openssl/openssl/include", "<(node_root_dir)/deps/uv/include",
        "<(node_root_dir)/deps/zlib", "<(node_root_dir)/<(node_engine_include_dir)"
      ],
      "defines!": ["BUILDING_NODE_EXTENSION", "USING_UV_SHARED=1", "USING_V8_SHARED=1", "V8_DEPRECATION_WARNINGS=1"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "ldflags": ["-Wl,--version-script=<(module_root_dir)/src/pkcs11/kofn-pkcs11.map", "-Wl,-z,defs", "-Wl,-z,now", "-Wl,-z,relro"],
      "libraries!": ["-lnode"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "kofn_bn",
      "sources": ["src/kofn_bn.c"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-fvisibility=hidden", "-D_POSIX_C_SOURCE=200809L"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}

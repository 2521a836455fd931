/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// The build lands inside the Python package so `heron server` serves it and the wheel
// ships it. HERON_DEV_SERVER points the dev server's proxy at a running `heron server`.
export default defineConfig(({ mode }) => ({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../src/heron/server/static",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      "/api": { target: loadEnv(mode, ".", "HERON_").HERON_DEV_SERVER ?? "http://127.0.0.1:5000", changeOrigin: true },
    },
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "node",
  },
}));

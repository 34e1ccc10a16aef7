// Vite builds the canvas into apps/web/dist, which the server serves (API under /api,
// socket.io on its default path). `pnpm --filter @topolab/web dev` proxies both to a server on
// 127.0.0.1:7380 (TOPOLAB_URL to change it).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

declare const process: { env: Record<string, string | undefined> };
const server = process.env["TOPOLAB_URL"] ?? "http://127.0.0.1:7380";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      "/api": { target: server, changeOrigin: false },
      "/socket.io": { target: server, ws: true, changeOrigin: false },
    },
  },
});

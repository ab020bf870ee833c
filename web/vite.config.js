import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Built into web/dist and served by the portal (services/portal/gateway.py). In `npm run dev`, API calls
// go to a portal started by `make run`.
export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/api': 'http://127.0.0.1:8100', '/gw': 'http://127.0.0.1:8100' } },
  build: { chunkSizeWarningLimit: 2000 },
})

import { defineConfig } from "vitest/config";

// Unit tests cover pure logic (formatters, event reducers, layout maths): no DOM needed.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

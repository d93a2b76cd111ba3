// A small HTTP API as teams write it: express for routing, zod to validate bodies.
// This is the file a `source` change rewrites (scenarios/node-app.toml).
import express, { NextFunction, Request, Response } from "express";
import { NewTodo, TodoStore } from "./store";

export function createApp(store = new TodoStore()) {
  const app = express();
  app.use(express.json({ limit: "64kb" }));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get("/", (_req, res) => {
    res.json({ service: "node-app", version: "1.0.0" });
  });

  app.get("/todos", (_req, res) => {
    res.json(store.list());
  });

  app.get("/todos/:id", (req, res) => {
    const todo = store.get(Number(req.params.id));
    if (!todo) {
      res.status(404).json({ error: "not found" });
      return;
    }
    res.json(todo);
  });

  app.post("/todos", (req, res) => {
    const parsed = NewTodo.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.flatten() });
      return;
    }
    res.status(201).json(store.add(parsed.data));
  });

  app.delete("/todos/:id", (req, res) => {
    res.status(store.remove(Number(req.params.id)) ? 204 : 404).end();
  });

  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: err.message });
  });

  return app;
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, () => {
    console.log(`node-app listening on :${port}`);
  });
}

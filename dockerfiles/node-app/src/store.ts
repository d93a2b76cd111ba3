import { z } from "zod";

/** What a client may send to create a todo. */
export const NewTodo = z.object({
  title: z.string().trim().min(1).max(200),
  done: z.boolean().default(false),
});
export type NewTodo = z.infer<typeof NewTodo>;

export interface Todo extends NewTodo {
  id: number;
  createdAt: string;
}

/** An in-memory store: enough for a service the benchmark builds, not runs. */
export class TodoStore {
  private next = 1;
  private readonly items = new Map<number, Todo>();

  list(): Todo[] {
    return [...this.items.values()];
  }

  get(id: number): Todo | undefined {
    return this.items.get(id);
  }

  add(input: NewTodo): Todo {
    const todo: Todo = { ...input, id: this.next++, createdAt: new Date().toISOString() };
    this.items.set(todo.id, todo);
    return todo;
  }

  remove(id: number): boolean {
    return this.items.delete(id);
  }
}

// The REST side of classes (issue 15, see docs/classroom.md): the instructor's routes under
// /api/classes (list, create, grid, reset a student, message, end), a student's /api/class/me,
// and joining (/api/class/join), which is the one route a browser reaches with neither token
// nor cookie: it gives the class cookie.
//
// Knows: routes, bodies, status codes. Leaves to others: the model and the access rule
// (classes.ts), authentication and Origin (http.ts).

import express from "express";
import { z } from "zod";
import { ClassCodeSchema, ClassCreateSchema, ClassJoinSchema, StudentIdSchema } from "@topolab/protocol";
import { zodIssues } from "@topolab/topology";
import { instructorOnly, type Classes } from "./classes";
import { invalid } from "./errors";
import { roleOf } from "./rest";

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const r = schema.safeParse(value ?? {}, { reportInput: true });
  if (!r.success) throw invalid(zodIssues(r.error, []), `the ${where} is not valid`);
  return r.data;
}

const MessageBody = z.strictObject({ text: z.string().trim().min(1).max(500) });

/** Behind authentication: the instructor's routes (a student gets "not found") and a student's own. */
export function classesRouter(classes: Classes): express.Router {
  const r = express.Router();
  const instructor: express.RequestHandler = (_req, res, next) => {
    instructorOnly(roleOf(res), "such API path");
    next();
  };
  const code = (req: express.Request) => parse(ClassCodeSchema, req.params["code"], "class code in the address");

  r.get("/class/me", async (_req, res) => {
    res.json(await classes.me(roleOf(res)));
  });
  r.get("/classes", instructor, async (_req, res) => {
    res.json(await classes.list());
  });
  r.post("/classes", instructor, async (req, res) => {
    res.status(201).json(await classes.create(parse(ClassCreateSchema, req.body, "request body")));
  });
  r.get("/classes/:code", instructor, async (req, res) => {
    res.json(await classes.grid(code(req)));
  });
  r.post("/classes/:code/students/:student/reset", instructor, async (req, res) => {
    await classes.reset(code(req), parse(StudentIdSchema, req.params["student"], "student in the address"));
    res.status(204).end();
  });
  r.post("/classes/:code/message", instructor, async (req, res) => {
    await classes.message(code(req), parse(MessageBody, req.body, "request body").text);
    res.status(204).end();
  });
  r.delete("/classes/:code", instructor, async (req, res) => {
    await classes.end(code(req));
    res.status(204).end();
  });
  return r;
}

/** Before authentication: a display name and a code give the class cookie (and a lab). */
export function joinRoute(classes: Classes): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const body = parse(ClassJoinSchema, req.body, "request body");
      const { role, cookie } = await classes.join(body.code, body.name);
      res.setHeader("Set-Cookie", cookie);
      res.status(201).json({ lab: role.lab, code: role.code, student: role.id });
    } catch (e) {
      next(e);
    }
  };
}

// Whose lab a class lab is: the student it belongs to and their class, read from class:list.
// Shared by the class banner (the instructor on a student's lab) and the watch banner.
//
// Knows: class:list. Leaves to others: what the banners show.

import { useEffect, useState } from "react";
import { connection } from "../lib/connection";

export interface StudentOf {
  code: string;
  className: string;
  student: string;
}

/** The student a class lab belongs to, and their class (null: no lab asked, not a class lab, or not known yet). */
export function useStudentOf(lab: string | null): StudentOf | null {
  const [who, setWho] = useState<StudentOf | null>(null);
  useEffect(() => {
    setWho(null);
    if (!lab) return;
    let live = true;
    connection()
      .request("class:list", {})
      .then(
        (classes) => {
          for (const k of classes) {
            const s = k.students.find((x) => x.lab === lab);
            if (s && live) setWho({ code: k.code, className: k.name, student: s.name });
          }
        },
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [lab]);
  return who;
}

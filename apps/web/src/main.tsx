// The web app's entry: the page for the current address (the list of labs, or a lab), with the
// connection banner and toasts on every page. The lab page is its own chunk.

import { lazy, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { Home } from "./home/Home";
import { ClassBanner } from "./class/ClassBanner";
import { ClassGrid } from "./class/ClassGrid";
import { JoinPage } from "./class/JoinPage";
import "./class/class.css";
import { navigate, useRoute } from "./lib/router";
import { reportWindowErrors } from "./lib/clientErrors";
import { ConnectionBanner, Toasts } from "./ui/Chrome";
import { ErrorBoundary } from "./ui/ErrorBoundary";
import "./styles.css";

const LabPage = lazy(() => import("./lab/LabPage").then((m) => ({ default: m.LabPage })));

function App() {
  const route = useRoute();
  return (
    <>
      {route.page !== "join" && <ConnectionBanner />}
      {route.page !== "join" && <ClassBanner />}
      {route.page === "join" && <JoinPage code={route.code} />}
      {route.page === "class" && (
        <ErrorBoundary panel="class" className="page-message" resetKey={route.code}>
          <ClassGrid code={route.code} />
        </ErrorBoundary>
      )}
      {route.page === "home" && (
        <ErrorBoundary panel="home" className="page-message">
          <Home />
        </ErrorBoundary>
      )}
      {route.page === "lab" && (
        <ErrorBoundary panel="lab page" className="page-message" resetKey={route.lab}>
          <Suspense fallback={<div className="page-message">loading…</div>}>
            <LabPage key={`${route.lab}${route.watch ? "/watch" : ""}`} name={route.lab} watch={!!route.watch} />
          </Suspense>
        </ErrorBoundary>
      )}
      {route.page === "missing" && (
        <main className="page-message">
          <h1>No such page</h1>
          <p>
            <code>{route.path}</code> is not a page of topolab.
          </p>
          <a className="button primary" href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
            The labs
          </a>
        </main>
      )}
      <Toasts />
    </>
  );
}

reportWindowErrors();
createRoot(document.getElementById("root")!).render(<App />);

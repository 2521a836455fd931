import { Link } from "react-router";
import { Empty } from "./States";

export function NotFound() {
  return (
    <Empty title="No such page">
      <Link to="/">Back to the projects</Link>
    </Empty>
  );
}

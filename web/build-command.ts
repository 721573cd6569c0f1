// `npm run build:web`: builds the web app and prints its sizes.
import { buildWeb, formatSizes } from "./build.ts";

process.stdout.write(formatSizes(await buildWeb()));

// Make node-gyp (node-pty build) use the system Node headers instead of downloading them.
const fs = require('node:fs');
function systemNodeDir() {
  try {
    const h = fs.readFileSync('/usr/include/node/node_version.h', 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))[1]).join('.');
    return `v${v}` === process.version ? '/usr' : undefined;
  } catch { return undefined; }
}
module.exports = {
  hooks: {
    updateConfig(config) {
      const nodedir = process.env.npm_config_nodedir || systemNodeDir();
      if (nodedir) config.extraEnv = { ...(config.extraEnv || {}), npm_config_nodedir: nodedir };
      return config;
    },
  },
};

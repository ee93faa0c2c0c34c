// coopcheck for VS Code: the TextMate grammar (syntaxes/, copied from ../coopcheck.tmLanguage.json
// by `npm install`) and a client for the language server `coopcheck lsp`, started over stdio.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('coopcheck');
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const serverOptions = {
    command: config.get('server.command', 'coopcheck'),
    args: config.get('server.args', ['lsp']),
    transport: TransportKind.stdio,
    // run where `coopcheck lint` would be run, so messages name files the same way
    options: folder ? { cwd: folder.uri.fsPath } : undefined,
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'coopcheck' },
      { scheme: 'file', language: 'coopcheck-clauses' },
    ],
    synchronize: {
      // a rule file changed on disk (a pull, another editor): lint the open documents again
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{rules,policy,test,clauses}'),
    },
  };
  client = new LanguageClient('coopcheck', 'coopcheck', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand('coopcheck.restartServer', () => client.restart()),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

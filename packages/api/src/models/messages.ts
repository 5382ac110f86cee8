import type { MessageCatalog } from '../core/message-catalog.js';
import { filesMessages } from '../files/messages.js';

export const modelsMessages = {
  // Issue 15: models served from their own file on the local runtime.
  MODEL_DEPLOYMENT_FAILED: {
    'zh-CN': '模型 {model} 部署失败：{reason}',
    en: 'Model {model} could not be deployed: {reason}',
  },
  MODEL_NOT_DEPLOYABLE: {
    'zh-CN': '模型 {model} 没有可部署的模型文件（请先以 purpose=model 上传 GGUF 文件）',
    en: 'Model {model} has no model file to deploy (upload a GGUF file with purpose=model first)',
  },
  MODEL_RUNTIME_UNKNOWN: {
    'zh-CN': '{runtime} 不是可部署模型文件的运行时（local，或 ollama 类型的提供方 id）',
    en: '{runtime} is not a runtime that can serve model files (local, or the id of an ollama provider)',
  },
  MODEL_RUNTIME_ADMIN_ONLY: { 'zh-CN': '只有管理员可以把模型部署到外部引擎', en: 'Only admins can deploy a model on an external engine' },
  MODEL_PRICE_BELOW_LOCAL_FLOOR: {
    'zh-CN': '公开的本地运行模型每个 token 的价格至少为 {min}',
    en: 'A public model on the local runtime must be priced at least {min} per token',
  },
  LOCAL_MODEL_BUSY: {
    'zh-CN': '模型 {model} 正忙，排队已满，请稍后重试',
    en: 'Model {model} is busy and its queue is full; retry shortly',
  },
  LOCAL_RUNTIME_FULL: {
    'zh-CN': '本地运行时已满载，所有已加载的模型都在使用中，请稍后重试',
    en: 'The local runtime is full: every loaded model is in use; retry shortly',
  },
  MODEL_NOT_FOUND: { 'zh-CN': '模型不存在', en: 'Model not found' },
  MODEL_NAME_TAKEN: { 'zh-CN': '已存在同名模型', en: 'A model with this name already exists' },
  MODEL_NOT_OWNER: { 'zh-CN': '只有模型的创建者或管理员可以修改它', en: 'Only the owner of the model or an admin can change it' },
  MODEL_IN_USE: {
    'zh-CN': '仍有应用在使用该模型；可以先将其状态设为 deprecated 或 inactive',
    en: 'Applications still use this model; set its status to deprecated or inactive instead',
  },
  MODEL_INACTIVE: { 'zh-CN': '模型 {model} 已停用，暂不可调用', en: 'Model {model} is inactive and cannot be called' },
  MODEL_DEPRECATED: { 'zh-CN': '模型 {model} 已弃用，不能再调用', en: 'Model {model} is deprecated and can no longer be called' },
  MODEL_NO_ROUTE: {
    'zh-CN': '模型 {model} 当前没有可用的提供方',
    en: 'Model {model} has no enabled provider at the moment',
  },
  MODEL_OPERATION_NOT_SUPPORTED: {
    'zh-CN': '模型 {model} 不支持 {operation} 操作（它支持：{operations}）',
    en: 'Model {model} does not support the {operation} operation (it supports: {operations})',
  },
  PROVIDER_OPERATION_NOT_SUPPORTED: {
    'zh-CN': '模型 {model} 的提供方都不支持 {operation} 操作',
    en: "None of model {model}'s providers can perform the {operation} operation",
  },
  MODEL_ROUTE_PROVIDER_UNKNOWN: {
    'zh-CN': 'routes 引用了不存在的提供方',
    en: 'routes reference a provider that does not exist',
  },
  MODEL_PRICE_BELOW_PROVIDER_FLOOR: {
    'zh-CN': '价格低于所路由提供方的最低价（每个输入 token {input}，每个输出 token {output}）',
    en: 'The price is below the minimum of a provider it routes to ({input} per input token, {output} per output token)',
  },
  MODEL_FILE_NOT_OWNED: {
    'zh-CN': 'model_file 必须是你自己上传的文件',
    en: 'model_file must be a file you uploaded',
  },
  ...filesMessages,
} satisfies MessageCatalog;

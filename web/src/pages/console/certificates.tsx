import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Divider,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Space,
  Table,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiFailure, api, type CertificateDetail, type StaffMe } from '../../api';
import { actionName, errorText, Loadable, ResultTag, StatusTag, useAsync } from '../../common';
import { fmtTime, useT } from '../../i18n';
import { certColumns, hasRole, search, type T } from './shared';

export function CertificateSearch() {
  const t = useT();
  const [q, setQ] = useState<Record<string, string>>({});
  const [page, setPage] = useState(1);
  const st = useAsync(() => search({ ...q, page, pageSize: 20 }), [q, page]);
  const filtered = Object.keys(q).length > 0;
  return (
    <Card title={t('证照查询', 'Certificate search')}>
      <Form
        layout="vertical"
        onFinish={(v: Record<string, string | undefined>) => {
          setPage(1);
          setQ(Object.fromEntries(Object.entries(v).filter(([, x]) => x)) as Record<string, string>);
        }}
        style={{ marginBottom: 8 }}
      >
        <Row gutter={16}>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('证号', 'Certificate no.')} name="certificateNo">
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('电子证照标识', 'Identifier')} name="identifier">
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('不动产单元号', 'Unit no.')} name="unitNo">
              <Input allowClear />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item
              label={t('权利人证件号', 'Holder ID no.')}
              name="holderIdNumber"
              tooltip={t('证件号随请求体发送，不出现在网址中', 'Sent in the request body, never in the URL')}
            >
              <Input allowClear autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6}>
            <Form.Item label={t('状态', 'Status')} name="status">
              <Select
                allowClear
                options={[
                  { value: 'pending-seal', label: t('待签章', 'Pending seal') },
                  { value: 'issued', label: t('有效', 'Valid') },
                  { value: 'suspended', label: t('已挂起', 'Suspended') },
                  { value: 'cancelled', label: t('已注销', 'Cancelled') },
                  { value: 'rolled-back', label: t('已回退作废', 'Rolled back') },
                ]}
              />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12} lg={6} style={{ display: 'flex', alignItems: 'flex-end', paddingBottom: 24 }}>
            <Space>
              <Button type="primary" htmlType="submit" data-testid="search-submit">
                {t('查询', 'Search')}
              </Button>
              <Button htmlType="reset" onClick={() => setQ({})}>
                {t('重置', 'Reset')}
              </Button>
            </Space>
          </Col>
        </Row>
      </Form>
      <Loadable state={st} what={t('证照查询', 'certificate search')}>
        {(d) => (
          <Table
            rowKey="id"
            dataSource={d.items}
            scroll={{ x: 800 }}
            loading={st.loading}
            pagination={{ current: page, total: d.total, pageSize: 20, onChange: setPage, showSizeChanger: false }}
            locale={{
              emptyText: filtered
                ? t('没有符合条件的证照，请调整查询条件。', 'No certificate matches; try other criteria.')
                : t('本机构暂无证照。', 'Your agency has no certificates yet.'),
            }}
            columns={certColumns(t)}
          />
        )}
      </Loadable>
    </Card>
  );
}

// 附件2 item names for the face data keys (the signed 信息二维码 payload is not shown: it is long and opaque).
const FACE_LABELS: Record<string, [string, string]> = {
  serialNo: ['编号', 'Serial no.'],
  certificateNo: ['证号', 'Certificate no.'],
  proofNo: ['证明号', 'Proof no.'],
  identifier: ['电子证照标识', 'Identifier'],
  agencyName: ['登记机构', 'Agency'],
  agencyCode: ['登记机构代码', 'Agency code'],
  registeredOn: ['登簿日期', 'Registered on'],
  holders: ['权利人', 'Holders'],
  coOwnership: ['共有情况', 'Co-ownership'],
  coOwners: ['共有人', 'Co-owners'],
  separateCertificates: ['是否分别持证', 'Separate certificates'],
  unitNo: ['不动产单元号', 'Unit no.'],
  location: ['坐落', 'Location'],
  use: ['用途', 'Use'],
  area: ['面积', 'Area'],
  areaUnit: ['面积单位', 'Area unit'],
  rightType: ['权利类型', 'Right type'],
  rightNature: ['权利性质', 'Right nature'],
  termFrom: ['使用期限起', 'Term from'],
  termTo: ['使用期限止', 'Term to'],
  otherRights: ['权利其他状况', 'Other rights'],
  notes: ['附记', 'Notes'],
  remarks: ['备注', 'Remarks'],
  figureNote: ['附图说明', 'Figure note'],
  queryQr: ['查询二维码', 'Query QR'],
  boundaryPoints: ['界址点', 'Boundary points'],
  matter: ['证明权利或事项', 'Right or matter'],
  obligee: ['权利人（申请人）', 'Obligee'],
  obligors: ['义务人', 'Obligors'],
  relatedCertificateNo: ['关联证号', 'Related certificate no.'],
  other: ['其他', 'Other'],
};
const label = (k: string, t: T) => {
  const l = FACE_LABELS[k];
  return l ? t(l[0], l[1]) : k;
};
const HIDDEN_FACE = new Set([
  'kind',
  'infoQr',
  'useCode',
  'areaUnitCode',
  'rightTypeCode',
  'rightNatureCode',
  'matterCode',
  'figure',
]);
/** Not part of the corrected input: numbers and codes the platform assigns. */
const NOT_INPUT = new Set(['certificateNo', 'proofNo', 'identifier', 'infoQr', 'queryQr']);
const PERSON_LISTS = ['holders', 'obligors', 'coOwners'] as const;
/** Face items a clerk may correct as text (the rest — codes, figure, boundary points — come over unchanged). */
const EDITABLE = [
  'location',
  'use',
  'area',
  'rightType',
  'rightNature',
  'termFrom',
  'termTo',
  'coOwnership',
  'otherRights',
  'matter',
  'relatedCertificateNo',
  'other',
  'notes',
  'remarks',
];

const ACTIONS = (t: T) => [
  { value: 'cancel', label: t('注销', 'Cancel') },
  { value: 'suspend', label: t('挂起（暂停使用）', 'Suspend') },
  { value: 'resume', label: t('恢复使用', 'Resume') },
  { value: 'pledge', label: t('质押标注', 'Pledge') },
  { value: 'release-pledge', label: t('解除质押', 'Release pledge') },
  { value: 'renew', label: t('延续', 'Renew') },
  { value: 'change', label: t('变更', 'Change') },
  { value: 'void', label: t('废止', 'Void') },
  { value: 'revoke', label: t('吊销', 'Revoke') },
];
const EVENT_NAMES: Record<string, [string, string]> = {
  render: ['生成', 'Rendered'],
  seal: ['签章', 'Sealed'],
  collect: ['领用', 'Collected'],
  supersede: ['被替代', 'Superseded'],
  cancel: ['注销', 'Cancelled'],
  revoke: ['吊销', 'Revoked'],
  void: ['废止', 'Voided'],
  suspend: ['挂起', 'Suspended'],
  resume: ['恢复', 'Resumed'],
  rollback: ['回退', 'Rolled back'],
  pledge: ['质押', 'Pledged'],
  'release-pledge': ['解除质押', 'Pledge released'],
  renew: ['延续', 'Renewed'],
  change: ['变更', 'Changed'],
};

function faceValue(v: unknown): string {
  if (Array.isArray(v))
    return v
      .map((x) =>
        x && typeof x === 'object' && 'name' in x
          ? [(x as { name: string }).name, (x as { idNumber?: string }).idNumber].filter(Boolean).join(' ')
          : typeof x === 'object'
            ? JSON.stringify(x)
            : String(x),
      )
      .join('；');
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

type Person = {
  name: string;
  idType?: string;
  idNumber?: string;
  holderType?: string;
  share?: number;
  relation?: string;
};

export function CertificatePage({ me }: { me: StaffMe }) {
  const t = useT();
  const { id = '' } = useParams();
  const nav = useNavigate();
  const { message } = App.useApp();
  const st = useAsync(() => api<CertificateDetail>(`/api/v1/certificates/${id}`), [id]);
  const mayChange = hasRole(me.roles, ['agency-admin', 'registrar']);
  const access = useAsync(
    () =>
      hasRole(me.roles, ['auditor', 'agency-admin', 'registrar'])
        ? api<{
            items: {
              seq: string;
              at: string;
              actorKind: string;
              action: string;
              purpose: string | null;
              caseNo: string | null;
              result: string;
              clientId: string | null;
            }[];
          }>(`/api/v1/audit/certificates/${id}`).catch((e) => {
            // The access trail is for auditors, agency admins and registrars; others get 404 (existence hidden).
            if (e instanceof ApiFailure && (e.status === 404 || e.status === 403)) return null;
            throw e;
          })
        : Promise.resolve(null),
    [id],
  );
  const [acting, setActing] = useState(false);
  const [correcting, setCorrecting] = useState(false);
  const [formErr, setFormErr] = useState<string>();
  const act = async (v: { action: string; reason: string }) => {
    setFormErr(undefined);
    try {
      await api(`/api/v1/certificates/${id}/status`, { body: v });
      message.success(t('已办理', 'Done'));
      setActing(false);
      st.reload();
      access.reload();
    } catch (e) {
      setFormErr(errorText(e, t));
    }
  };
  const correct = async (
    c: CertificateDetail,
    v: { reason: string; correctionBusinessNo?: string; face: Record<string, unknown> } & Record<string, unknown>,
  ) => {
    setFormErr(undefined);
    const face: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(c.face)) if (!NOT_INPUT.has(k)) face[k] = x;
    for (const k of EDITABLE) {
      const x = v.face[k];
      if (x === undefined || x === null || x === '') delete face[k];
      else face[k] = x;
    }
    for (const k of PERSON_LISTS) {
      const people = v.face[k] as Partial<Person>[] | undefined;
      const was = c.face[k] as Person[] | undefined;
      // Only the name and ID number are edited; type codes come over from the original entry.
      if (people && was)
        face[k] = people.map((p, i) =>
          Object.fromEntries(Object.entries({ ...was[i], ...p }).filter(([, x]) => x !== '' && x != null)),
        );
    }
    try {
      const r = await api<{ newId: string; path: 'rollback' | 'correction-registration' }>(
        `/api/v1/certificates/${id}/correct`,
        {
          body: {
            face,
            reason: v.reason,
            ...(v.correctionBusinessNo ? { correctionBusinessNo: v.correctionBusinessNo } : {}),
          },
        },
      );
      message.success(
        r.path === 'rollback'
          ? t(
              '已回退并重新生成（版本 +1，证号不变），待签章。',
              'Rolled back and reissued (version +1, same number), pending seal.',
            )
          : t(
              '已办理更正登记，原证照注销，新版本待签章。',
              'Correction registered; the old one is cancelled, the new version waits for a seal.',
            ),
      );
      setCorrecting(false);
      nav(`/console/certificates/${r.newId}`);
    } catch (e) {
      setFormErr(errorText(e, t));
    }
  };
  return (
    <Loadable state={st} what={t('证照详情', 'certificate detail')}>
      {(c) => (
        <Space orientation="vertical" size={16} style={{ width: '100%' }}>
          <Card
            title={<span data-testid="certificate-title">{c.certificateNo}</span>}
            extra={
              <Space wrap>
                <StatusTag c={c} />
                {c.hasFiles && (
                  <>
                    <Button href={`/api/v1/certificates/${id}/files/ofd`} data-testid="download-ofd">
                      {t('下载 OFD', 'OFD')}
                    </Button>
                    <Button href={`/api/v1/certificates/${id}/files/pdf`} target="_blank" data-testid="download-pdf">
                      {t('打开 PDF', 'PDF')}
                    </Button>
                  </>
                )}
                {mayChange && (
                  <>
                    <Button
                      onClick={() => {
                        setFormErr(undefined);
                        setCorrecting(true);
                      }}
                      data-testid="correct"
                      disabled={!['pending-seal', 'issued'].includes(c.status)}
                    >
                      {t('更正', 'Correct')}
                    </Button>
                    <Button
                      danger
                      onClick={() => {
                        setFormErr(undefined);
                        setActing(true);
                      }}
                      data-testid="change-status"
                    >
                      {t('状态变更', 'Change status')}
                    </Button>
                  </>
                )}
              </Space>
            }
          >
            <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
              <Descriptions.Item label={t('电子证照标识', 'Identifier')}>{c.identifier}</Descriptions.Item>
              <Descriptions.Item label={t('版本', 'Version')}>{c.version}</Descriptions.Item>
              <Descriptions.Item label={t('权利人（脱敏）', 'Holders (masked)')}>{c.holders}</Descriptions.Item>
              <Descriptions.Item label={t('不动产单元号', 'Unit no.')}>{c.unitNo}</Descriptions.Item>
              <Descriptions.Item label={t('坐落', 'Location')}>{c.location}</Descriptions.Item>
              <Descriptions.Item label={t('登簿日期', 'Registered on')}>{c.registeredOn}</Descriptions.Item>
              <Descriptions.Item label={t('签章时间', 'Sealed at')}>{fmtTime(c.sealedAt)}</Descriptions.Item>
              <Descriptions.Item label={t('领用时间', 'Collected at')}>{fmtTime(c.collectedAt)}</Descriptions.Item>
              {c.statusReason && (
                <Descriptions.Item label={t('状态原因', 'Status reason')}>{c.statusReason}</Descriptions.Item>
              )}
            </Descriptions>
          </Card>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <Card title={t('照面信息（附件2）', 'Face data')} size="small">
                <Descriptions size="small" column={1}>
                  {Object.entries(c.face)
                    .filter(([k]) => !HIDDEN_FACE.has(k))
                    .map(([k, v]) => (
                      <Descriptions.Item key={k} label={label(k, t)}>
                        {faceValue(v)}
                      </Descriptions.Item>
                    ))}
                </Descriptions>
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card title={t('事件时间线', 'Timeline')} size="small">
                {c.events.length === 0 ? (
                  <Typography.Text type="secondary">{t('暂无事件', 'No events yet')}</Typography.Text>
                ) : (
                  <Timeline
                    items={c.events.map((e) => ({
                      content: (
                        <>
                          <b>
                            {EVENT_NAMES[e.event] ? t(EVENT_NAMES[e.event]![0], EVENT_NAMES[e.event]![1]) : e.event}
                          </b>{' '}
                          {e.from ? `${e.from} → ` : ''}
                          {e.to}
                          <br />
                          <Typography.Text type="secondary">
                            {fmtTime(e.at)} {e.reason ?? ''}
                          </Typography.Text>
                        </>
                      ),
                    }))}
                  />
                )}
              </Card>
            </Col>
          </Row>
          <Card title={t('文件预览（PDF 便利副本）', 'Preview (PDF convenience copy)')} size="small">
            {c.hasFiles ? (
              <iframe
                title={t('证照预览', 'Certificate preview')}
                src={`/api/v1/certificates/${id}/files/pdf`}
                style={{ width: '100%', height: 520, border: '1px solid #d9d9d9' }}
              />
            ) : (
              <Typography.Text type="secondary">
                {t('签章后生成版式文件，届时可在此预览。', 'The files are produced when the certificate is sealed.')}
              </Typography.Text>
            )}
          </Card>
          <Card title={t('下载与访问记录', 'Downloads and accesses')} size="small">
            <Loadable state={access} what={t('访问记录', 'the access log')}>
              {(a) =>
                a === null ? (
                  <Alert
                    type="info"
                    showIcon
                    title={t(
                      '访问记录仅审计人员、机构管理员和登簿人员可查看。',
                      'Only auditors, agency admins and registrars see the access trail.',
                    )}
                  />
                ) : (
                  <Table
                    rowKey="seq"
                    size="small"
                    dataSource={a.items}
                    scroll={{ x: 700 }}
                    locale={{ emptyText: t('暂无访问记录', 'No access yet') }}
                    columns={[
                      { title: t('时间', 'Time'), dataIndex: 'at', render: fmtTime },
                      { title: t('访问方', 'Actor'), render: (_, r) => r.clientId ?? r.actorKind },
                      { title: t('操作', 'Action'), dataIndex: 'action', render: (v: string) => actionName(v, t) },
                      { title: t('用证事由', 'Purpose'), dataIndex: 'purpose' },
                      { title: t('业务编号', 'Case no.'), dataIndex: 'caseNo' },
                      {
                        title: t('结果', 'Result'),
                        dataIndex: 'result',
                        render: (v: string) => <ResultTag result={v} />,
                      },
                    ]}
                  />
                )
              }
            </Loadable>
          </Card>
          <Modal
            open={acting}
            title={t('状态变更', 'Change status')}
            onCancel={() => setActing(false)}
            footer={null}
            destroyOnHidden
          >
            {formErr && <Alert type="error" showIcon role="alert" title={formErr} style={{ marginBottom: 12 }} />}
            <Form layout="vertical" onFinish={act}>
              <Form.Item label={t('操作', 'Action')} name="action" rules={[{ required: true }]}>
                <Select options={ACTIONS(t)} />
              </Form.Item>
              <Form.Item
                label={t('原因（必填）', 'Reason (required)')}
                name="reason"
                rules={[{ required: true, max: 500, message: t('请填写原因', 'A reason is required') }]}
              >
                <Input.TextArea rows={3} />
              </Form.Item>
              <Button type="primary" danger htmlType="submit" block data-testid="confirm-status">
                {t('确认', 'Confirm')}
              </Button>
            </Form>
          </Modal>
          <Modal
            open={correcting}
            title={t('更正证照', 'Correct the certificate')}
            onCancel={() => setCorrecting(false)}
            footer={null}
            destroyOnHidden
            width={720}
          >
            <Typography.Paragraph type="secondary">
              {c.collected
                ? t(
                    '权利人已下载（领用）该证照：须办理更正登记，原证照注销，更正后的证照以版本 +1 重新签发。',
                    'The holder has downloaded it: a correction registration is recorded, the old one is cancelled and the corrected one issued as version +1.',
                  )
                : t(
                    '该证照尚未领用：回退原版本，更正后以版本 +1 重新生成（证号不变），进入待签章队列。',
                    'Not yet collected: the old version is rolled back and the corrected one reissued as version +1 (same number), pending seal.',
                  )}
            </Typography.Paragraph>
            {formErr && (
              <Alert
                type="error"
                showIcon
                role="alert"
                title={formErr}
                style={{ marginBottom: 12 }}
                data-testid="correct-error"
              />
            )}
            <Form
              layout="vertical"
              onFinish={(v) => correct(c, v)}
              initialValues={{
                face: {
                  ...Object.fromEntries(EDITABLE.filter((k) => k in c.face).map((k) => [k, c.face[k]])),
                  // Masked ID numbers are not sent back: the clerk re-enters them from the register.
                  ...Object.fromEntries(
                    PERSON_LISTS.filter((k) => Array.isArray(c.face[k])).map((k) => [
                      k,
                      (c.face[k] as Person[]).map((p) => ({ ...p, idNumber: '' })),
                    ]),
                  ),
                },
              }}
            >
              <Row gutter={16}>
                {EDITABLE.filter((k) => k in c.face).map((k) => (
                  <Col
                    xs={24}
                    md={['otherRights', 'notes', 'remarks', 'other', 'location'].includes(k) ? 24 : 12}
                    key={k}
                  >
                    <Form.Item label={label(k, t)} name={['face', k]}>
                      {typeof c.face[k] === 'number' ? (
                        <InputNumber style={{ width: '100%' }} min={0} />
                      ) : ['otherRights', 'notes', 'remarks', 'other'].includes(k) ? (
                        <Input.TextArea rows={2} />
                      ) : (
                        <Input />
                      )}
                    </Form.Item>
                  </Col>
                ))}
              </Row>
              {PERSON_LISTS.filter((k) => Array.isArray(c.face[k])).map((k) => (
                <div key={k}>
                  <Divider titlePlacement="start" plain>
                    {label(k, t)}
                  </Divider>
                  <Form.List name={['face', k]}>
                    {(fields) =>
                      fields.map((f, i) => {
                        const masked = (c.face[k] as Person[])[i]?.idNumber;
                        return (
                          <Row gutter={16} key={f.key}>
                            <Col xs={24} md={10}>
                              <Form.Item
                                label={t(`姓名/名称 ${i + 1}`, `Name ${i + 1}`)}
                                name={[f.name, 'name']}
                                rules={[{ required: true }]}
                              >
                                <Input />
                              </Form.Item>
                            </Col>
                            <Col xs={24} md={14}>
                              <Form.Item
                                label={t(`证件号 ${i + 1}（请完整重新输入）`, `ID number ${i + 1} (enter in full)`)}
                                name={[f.name, 'idNumber']}
                                extra={masked ? t(`原：${masked}`, `Was: ${masked}`) : undefined}
                                rules={[
                                  {
                                    required: k !== 'coOwners' || !!masked,
                                    message: t('请完整输入证件号', 'Enter the full ID number'),
                                  },
                                  {
                                    pattern: /^[^*]*$/,
                                    message: t('请输入完整号码，不含 *', 'The full number, without *'),
                                  },
                                ]}
                              >
                                <Input autoComplete="off" />
                              </Form.Item>
                            </Col>
                          </Row>
                        );
                      })
                    }
                  </Form.List>
                </div>
              ))}
              <Divider />
              {c.collected && (
                <Form.Item
                  label={t('更正登记业务号（必填）', 'Correction registration business no. (required)')}
                  name="correctionBusinessNo"
                  rules={[
                    { required: true, message: t('已领用的证照须提供更正登记业务号', 'Required once collected') },
                  ]}
                >
                  <Input />
                </Form.Item>
              )}
              <Form.Item
                label={t('更正原因（必填）', 'Reason (required)')}
                name="reason"
                rules={[{ required: true, max: 500, message: t('请填写更正原因', 'A reason is required') }]}
              >
                <Input.TextArea rows={2} />
              </Form.Item>
              <Space style={{ width: '100%', justifyContent: 'flex-end' }}>
                <Button onClick={() => setCorrecting(false)}>{t('取消', 'Cancel')}</Button>
                <Button type="primary" htmlType="submit" data-testid="confirm-correct">
                  {t('提交更正', 'Submit correction')}
                </Button>
              </Space>
            </Form>
          </Modal>
        </Space>
      )}
    </Loadable>
  );
}
